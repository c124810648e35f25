"""Files and text that boundcheck writes: atomic outputs, JSON conversion, tables, progress.

Owns: how results leave the process.  The lowest layer: imports nothing of boundcheck but
``_version``, so every other layer may use it.
"""
from boundcheck.outputs.common import Progress, atomic_output, fmt, format_table, to_jsonable, write_json_atomic
from boundcheck.outputs.files import SCHEMA_VERSION, MalformedFile, check_numbers, load, register_kind, write
from boundcheck.outputs import schema as _schema  # noqa: F401  (registers every kind's validator)

__all__ = ["Progress", "atomic_output", "fmt", "format_table", "to_jsonable", "write_json_atomic",
           "SCHEMA_VERSION", "MalformedFile", "check_numbers", "load", "register_kind", "write"]
