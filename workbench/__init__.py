"""workbench: from a YAML config to an honest cross-validated score, a report and a submission."""

import os as _os

# LightGBM and XGBoost use OpenMP threads that spin while they wait. When another job shares
# the cores, spinning threads made a Titanic run 6-25x slower here (2.5 s -> 15-65 s); passive
# waiting costs almost nothing when the machine is idle. It must be set before any OpenMP
# runtime loads, hence here; a value the user already set wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
