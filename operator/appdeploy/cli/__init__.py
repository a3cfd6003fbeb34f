"""The ``appdeploy`` (and ``kubectl-appdeploy``) command line."""
