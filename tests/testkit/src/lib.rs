//! Test-only Kubernetes API server (see issue 3).
