"""Test suites for appdeploy (a package so tests can import shared helpers)."""
