"""Repository tools run by make targets, not shipped with appdeploy."""
