"""The ``appdeploy.dev/v1alpha1`` AppDeployment API: models, validation and the generated CRD.

Pure: nothing here talks to Kubernetes. The models are the only schema; the
CRD, the admission webhook and ``appdeploy validate`` all derive from them.
"""
