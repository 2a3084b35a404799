"""Hotline: a deconfliction hotline for parties that share airspace but not a command.

Layers, inner to outer: ``domain`` (pure types and maths), ``strategic`` (4D index and
conflict rules), ``ports`` (protocols the service needs), ``service`` (use cases),
``adapters`` (storage), ``api`` (FastAPI), ``cli``. An inner layer never imports an outer one;
``tests/test_layers.py`` checks it.
"""

__version__ = "0.1.0"
