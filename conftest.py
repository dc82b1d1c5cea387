"""Make the shared personas and helpers available to every test package."""

pytest_plugins = ["tests.fixtures"]
