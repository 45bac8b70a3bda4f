"""The ASGI entry point each worker process imports: settings come from the environment."""

from __future__ import annotations

from opendynamo.config import Settings
from opendynamo.server.app import App

app = App(Settings.from_env())
