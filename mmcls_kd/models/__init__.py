from . import (algorithms, backbones, connectors, distillers,  # noqa: F401
               losses, recorders)
