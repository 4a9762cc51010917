"""Infrastructure: the CloudFormation resources (resources.yaml) and the local stand-in (infra.local)."""
