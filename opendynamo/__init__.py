"""opendynamo: a DynamoDB-compatible database. `opendynamo.embedded()` serves it inside the
calling process (server/embedded); `opendynamo.testing` is the pytest plugin built on it."""

from opendynamo.server.embedded import embedded as embedded

__all__ = ["embedded"]
