"""CLI subcommands: each module defines ``register(subparsers)``; the CLI stays thin."""
