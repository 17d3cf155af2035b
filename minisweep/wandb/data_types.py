"""W&B's media and chart types, accepted and not recorded.

A script builds ``wandb.Image(array, caption=...)`` or ``wandb.Table(columns=,
data=)`` and logs it; W&B uploads it to show in its web page.  An offline sweep
has no page to show it on, so these classes keep nothing (not even the data,
which may be large) and :meth:`ActiveRun.log` leaves them out of the history.
Their constructors take any arguments; the few methods scripts call on them
(``Table.add_data``, ``Table.add_column``, ``Artifact.add_file``) do nothing.

>>> t = Table(columns=["a", "b"]); t.add_data(1, 2); t.columns
['a', 'b']
"""

from typing import Any

__all__ = ["Media", "Image", "Table", "Histogram", "Video", "Audio", "Html", "Object3D", "Molecule", "Plotly",
           "Graph", "Classes", "ImageMask", "BoundingBoxes2D", "WBValue"]


class Media:
    """Base of the media stand-ins: built from anything, records nothing."""

    _minisweep_media = True  # how the run API recognises values it does not record

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._kind = type(self).__name__

    def __repr__(self) -> str:
        return "<wandb.%s (not recorded offline)>" % type(self).__name__


WBValue = Media


class Image(Media):
    """``wandb.Image(data_or_path, mode=None, caption=None, ...)``."""


class Video(Media):
    """``wandb.Video(data_or_path, fps=4, format=None, ...)``."""


class Audio(Media):
    """``wandb.Audio(data_or_path, sample_rate=None, caption=None)``."""


class Html(Media):
    """``wandb.Html(data, inject=True)``."""


class Object3D(Media):
    """``wandb.Object3D(data_or_path)``."""


class Molecule(Media):
    """``wandb.Molecule(data_or_path)``."""


class Plotly(Media):
    """``wandb.Plotly(figure)``."""


class Graph(Media):
    """``wandb.Graph(format="keras")``."""


class ImageMask(Media):
    """``wandb.ImageMask(val, key)``."""


class BoundingBoxes2D(Media):
    """``wandb.BoundingBoxes2D(val, key)``."""


class Classes(Media):
    """``wandb.Classes(class_set)``."""


class Histogram(Media):
    """``wandb.Histogram(sequence=None, np_histogram=None, num_bins=64)``."""


class Table(Media):
    """``wandb.Table(columns=None, data=None, dataframe=None, ...)``: keeps its column names only."""

    def __init__(self, columns: Any = None, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.columns = list(columns) if columns is not None else []

    def add_data(self, *data: Any) -> None:
        """Accepted; the row is not kept."""

    def add_column(self, name: Any, data: Any = None, optional: bool = False) -> None:
        self.columns.append(name)

    def add_computed_columns(self, fn: Any) -> None:
        """Accepted; nothing is computed."""

    def get_column(self, name: Any, convert_to: Any = None) -> list:
        return []
