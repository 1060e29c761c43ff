"""Distributed runtime: TF's master and worker services over gRPC."""
