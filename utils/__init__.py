"""Shared helpers of the A2C course. Importing this package has no side effects; import the modules you need."""
