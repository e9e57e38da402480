"""workbench: from a YAML config to an honest cross-validated score, a report and a submission."""

__version__ = "0.1.0"
