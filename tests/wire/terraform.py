"""Running Terraform against a test server, for the Terraform wire tests: the `terraform`
binary, the hashicorp/aws provider from a filesystem mirror (OPENDYNAMO_TF_MIRROR, default
/opt/tf-plugins; nothing is downloaded), a CLI configuration naming that mirror, and a
working directory whose provider block points the given services' endpoints at the server.

Each working directory is its own HOME with no TF_* or AWS_* variable of the caller's, so
nothing outside the test (a shared plugin cache, real credentials) takes part. Without the
binary or the provider, `skip_without_terraform` skips the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import pytest

from tests.conftest import Server

TERRAFORM = shutil.which("terraform") or "/usr/local/bin/terraform"
MIRROR = Path(os.environ.get("OPENDYNAMO_TF_MIRROR", "/opt/tf-plugins"))
TIMEOUT = 180  # seconds, per terraform command

CLI_CONFIG = """provider_installation {
  filesystem_mirror {
    path    = "MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }
}
"""

PROVIDER = """
terraform {
  required_providers { aws = { source = "hashicorp/aws" } }
}
variable "endpoint" { type = string }
variable "access_key" { type = string }
variable "secret_key" { type = string }
provider "aws" {
  region                  = "us-east-1"
  access_key              = var.access_key
  secret_key              = var.secret_key
  skip_metadata_api_check = true
  skip_region_validation  = true
  endpoints {
ENDPOINTS  }
}
"""


def skip_without_terraform() -> None:
    if not Path(TERRAFORM).is_file():
        pytest.skip("terraform binary not found (PATH or /usr/local/bin/terraform)")
    if not (MIRROR / "registry.terraform.io/hashicorp/aws").is_dir():
        pytest.skip(f"no hashicorp/aws provider in the filesystem mirror {MIRROR}")


def provider(*services: str) -> str:
    """The provider block, with the endpoints of `services` (the provider's names: iam, sts,
    dynamodb, cloudwatch, …) pointing at the server."""
    endpoints = "".join(f"    {service} = var.endpoint\n" for service in services)
    return PROVIDER.replace("ENDPOINTS", endpoints)


@dataclass
class Terraform:
    """A terraform working directory against a server; `variables` go to tfvars."""

    workdir: Path
    env: dict[str, str]
    server: Server
    variables: dict[str, Any]
    credentials: dict[str, str]

    @classmethod
    def init(
        cls, base: Path, config: str, server: Server, services: tuple[str, ...], **keys: str
    ) -> Self:
        """`terraform init` in `base` for `config` (its resources), the provider reaching
        `services` on the server with `keys` (aws_access_key_id, aws_secret_access_key)."""
        (base / "main.tf").write_text(provider(*services) + config)
        (base / "cli.tfrc").write_text(CLI_CONFIG.replace("MIRROR", str(MIRROR)))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
        env |= {"HOME": str(base), "TF_CLI_CONFIG_FILE": str(base / "cli.tfrc")}
        env |= {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
        variables: dict[str, Any] = {"endpoint": server.endpoint}
        variables |= {"access_key": keys["aws_access_key_id"]}
        variables |= {"secret_key": keys["aws_secret_access_key"]}
        tf = cls(base, env, server, variables, dict(keys))
        tf.run("init")
        return tf

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        (self.workdir / "terraform.tfvars.json").write_text(json.dumps(self.variables))
        color = ["-no-color"] if args[0] in ("init", "plan", "apply", "destroy") else []
        done = subprocess.run(
            [TERRAFORM, *args, *color], cwd=self.workdir, env=self.env, text=True,
            capture_output=True, timeout=TIMEOUT,
        )  # fmt: skip
        if check:
            assert done.returncode == 0, f"terraform {args[0]}:\n{done.stdout[-3000:]}{done.stderr}"
        return done

    def destroy(self) -> None:
        """`terraform destroy` without the refresh it would start with: every caller has just
        applied or planned (so the state is what the server holds) and this saves a run of the
        provider, whose schema alone takes 3 s of CPU to load."""
        self.run("destroy", "-auto-approve", "-refresh=false")

    def plan_shows_no_drift(self) -> None:
        """`terraform plan -detailed-exitcode` exits 0: every attribute read back is what the
        configuration says."""
        done = self.run("plan", "-detailed-exitcode", check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {name: entry["value"] for name, entry in raw.items()}

    def client(self, service: str, **creds: Any) -> Any:
        return self.server.client(service, **(creds or self.credentials))
