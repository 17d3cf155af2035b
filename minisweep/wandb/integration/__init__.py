"""Framework integrations served by minisweep's ``wandb`` surface (``wandb.integration.*``).

W&B ships callbacks for some frameworks inside the ``wandb`` package itself; a script imports them as
``from wandb.integration.keras import WandbMetricsLogger``. Under minisweep those imports resolve here.
Each integration imports its framework lazily, on first use, so importing ``minisweep`` never imports
a framework. (Frameworks that ship their *own* wandb logger — PyTorch Lightning's ``WandbLogger``,
Hugging Face ``Trainer(report_to="wandb")`` — need nothing here: they call the plain ``wandb`` API.)
"""

__all__ = ["keras"]
