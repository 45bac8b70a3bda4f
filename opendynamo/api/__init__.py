"""The services served on the endpoint, one package each with its own operation table:

- `dynamodb/`: DynamoDB's operations (`dynamodb.OPERATIONS`), a module per family;
- `streams/`: DynamoDB Streams (`streams.OPERATIONS`);
- `iam/`: IAM and STS, answered in the AWS query protocol (`iam.IAM_OPERATIONS`,
  `iam.STS_OPERATIONS`);
- `request/`: what they share: the request context, shape validation, expressions,
  paging and consumed capacity.

A handler takes the request's `Context` and its decoded body, validates, calls `engine/`, and
shapes the answer. Which caller may call it is decided before, in `authz/`.
"""
