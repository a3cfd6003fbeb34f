"""The Helm chart, the plain manifests and the operator's least privilege (issue 6)."""
