"""Client tools: following a table's stream, and decrypting what an encrypted export wrote."""

from __future__ import annotations

import json
import os

import click


@click.group()
def streams() -> None:
    """Read DynamoDB Streams."""


@streams.command("tail")
@click.argument("table")
@click.option("--endpoint-url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--region", default="us-east-1", show_default=True)
@click.option(
    "--from-start", is_flag=True, help="Begin with the oldest record kept (else: new ones)."
)
@click.option("--poll", default=0.5, show_default=True, help="Seconds between reads when idle.")
def streams_tail(table: str, endpoint_url: str, region: str, from_start: bool, poll: float) -> None:
    """Print the records of TABLE's latest stream as JSON lines, as they come, following its
    shards from parent to child. Credentials as the AWS SDKs find them (AWS_ACCESS_KEY_ID...);
    with `serve --auth off` any will do. Ctrl-C stops it."""
    import time

    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]
    except ImportError:
        raise click.ClickException("this command needs boto3: pip install boto3") from None

    options = {"endpoint_url": endpoint_url, "region_name": region}
    if "AWS_ACCESS_KEY_ID" not in os.environ:
        options |= {"aws_access_key_id": "opendynamo", "aws_secret_access_key": "opendynamo"}
    ddb = boto3.client("dynamodb", **options)
    reader = boto3.client("dynamodbstreams", **options)
    try:
        arn = ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None
    if arn is None:
        raise click.ClickException(f"table {table} has no stream")
    done: set[str] = set()
    iterators: dict[str, str] = {}
    kind = "TRIM_HORIZON" if from_start else "LATEST"
    try:
        while True:
            shards = reader.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            for shard in shards:
                shard_id = shard["ShardId"]
                parent = shard.get("ParentShardId")
                if shard_id in done or shard_id in iterators:
                    continue
                if (
                    parent is not None
                    and parent not in done
                    and any(s["ShardId"] == parent for s in shards)
                ):
                    continue  # its parent first
                start = "TRIM_HORIZON" if parent in done else kind
                iterators[shard_id] = reader.get_shard_iterator(
                    StreamArn=arn, ShardId=shard_id, ShardIteratorType=start
                )["ShardIterator"]
            quiet = True
            for shard_id, iterator in list(iterators.items()):
                page = reader.get_records(ShardIterator=iterator)
                for record in page["Records"]:
                    click.echo(json.dumps(record, default=str))
                    quiet = False
                if "NextShardIterator" in page:
                    iterators[shard_id] = page["NextShardIterator"]
                else:
                    del iterators[shard_id]
                    done.add(shard_id)
            if quiet:
                time.sleep(poll)
    except KeyboardInterrupt:
        pass


@click.command("decrypt-export")
@click.option("--export-dir", required=True, help="The export directory (buckets beneath).")
@click.option(
    "--export-encryption-key-file",
    envvar="OPENDYNAMO_EXPORT_ENCRYPTION_KEY_FILE",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
)
@click.option("--bucket", required=True)
@click.option("--prefix", default="", help="Only the objects whose key starts with this.")
@click.argument("out", type=click.Path(file_okay=False))
def decrypt_export(
    export_dir: str, export_encryption_key_file: str, bucket: str, prefix: str, out: str
) -> None:
    """Write plain copies of a bucket's encrypted export objects under OUT (same keys), for
    tools that read DynamoDB exports."""
    from opendynamo.config import read_key_file
    from opendynamo.engine import buckets

    source = buckets.Directory(export_dir, read_key_file(export_encryption_key_file))
    try:
        keys = source.keys(bucket, prefix)
        for key in keys:
            target = os.path.join(out, *key.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as file:
                file.write(source.get(bucket, key))
    except (buckets.NoSuchBucket, buckets.ObjectLocked) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(keys)} objects written under {out}", err=True)
