"""The version of kneebot, recorded in index manifests (no imports: anything may use it)."""

VERSION = "0.1.0"
