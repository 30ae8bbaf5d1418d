"""The paper's numbers as the metafiles list them.

``model-index.yml`` imports one ``metafile.yml`` per method; every model entry
names its config and, under ``Metadata: Paper Cells``, the cells of the
paper's tables (Table, Row, Column, Metric, Value) that the config
reproduces. Paths in the index and in the metafiles are relative to the
directory that holds the index, as ``mim`` reads them.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

#: The tables of the paper (Tables 1-9).
PAPER_TABLES: Tuple[int, ...] = tuple(range(1, 10))

#: Metrics read from the validation scalars, and the key each is read from.
METRIC_KEYS: Dict[str, str] = {
    'Top 1 Accuracy': 'accuracy/top1',
    'Top 5 Accuracy': 'accuracy/top5',
    # MMDetection's CocoMetric logs fractions; the paper prints percents.
    # AR^box is COCO's AR at 100 detections (CocoMetric item ``AR@100``).
    'box AP': 'coco/bbox_mAP',
    'box AR': 'coco/bbox_AR@100',
}

#: Factor from the logged value to the paper's unit.
METRIC_SCALES: Dict[str, float] = {'box AP': 100.0, 'box AR': 100.0}

#: The metric measured from the training iterations' timing (Table 3).
TIMING_METRIC = 'Minutes per Epoch'

#: Every metric a cell may use.
METRICS: Tuple[str, ...] = (*METRIC_KEYS, TIMING_METRIC)

_CELL_KEYS = ('Table', 'Row', 'Column', 'Metric', 'Value')


class MetafileError(ValueError):
    """A metafile that breaks the schema, named with the offending entry."""


@dataclass(frozen=True)
class PaperCell:
    """One number of one of the paper's tables and the config behind it."""

    table: int
    row: str
    column: str
    metric: str
    value: float
    printed: str  # the number as the metafile writes it ("69.90")
    config: str  # absolute path of the config
    model: str  # the metafile's model name

    @property
    def config_name(self) -> str:
        """The config's file name without ``.py``: the work-dir name."""
        return osp.splitext(osp.basename(self.config))[0]

    @property
    def label(self) -> str:
        """``Row::Column``, how the command line names a cell."""
        return f'{self.row}::{self.column}'


class _PrintedLoader(yaml.SafeLoader):
    """Safe loader that keeps numbers as written, so that ``69.90`` is shown
    with its trailing zero."""


def _number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_PrintedLoader.add_constructor('tag:yaml.org,2002:float', _number)
_PrintedLoader.add_constructor('tag:yaml.org,2002:int', _number)


def _read_yaml(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'metafile not found: {path}')
    with open(path, encoding='utf-8') as f:
        data = yaml.load(f, Loader=_PrintedLoader)
    return data or {}


def _parse_cell(raw: object, where: str, config: str,
                model: str) -> PaperCell:
    if not isinstance(raw, dict) or any(k not in raw for k in _CELL_KEYS):
        raise MetafileError(f'{where}: a paper cell needs the keys '
                            f'{", ".join(_CELL_KEYS)}; got {raw!r}')
    try:
        table, value = int(raw['Table']), float(raw['Value'])
    except ValueError as exc:
        raise MetafileError(f'{where}: {exc}') from exc
    if table not in PAPER_TABLES:
        raise MetafileError(f'{where}: Table {table} is not a table of the '
                            f'paper (valid: {_join(PAPER_TABLES)})')
    if raw['Metric'] not in METRICS:
        raise MetafileError(f'{where}: unknown Metric {raw["Metric"]!r} '
                            f'(valid: {_join(METRICS)})')
    return PaperCell(table, str(raw['Row']), str(raw['Column']),
                     str(raw['Metric']), value, str(raw['Value']), config,
                     model)


def load_cells(index_path: str) -> List[PaperCell]:
    """Every paper cell of every metafile the index imports, in the order the
    index imports the metafiles and the metafiles list them.

    Raises:
        MetafileError: a cell misses a key, names a table the paper does not
            have or an unknown metric, or two configs claim the same cell.
    """
    root = osp.dirname(osp.abspath(index_path))
    index = _read_yaml(index_path)
    cells: List[PaperCell] = []
    seen: Dict[tuple, PaperCell] = {}
    for rel in index.get('Import') or []:
        metafile = osp.join(root, rel)
        for model in _read_yaml(metafile).get('Models') or []:
            name = model.get('Name', '?')
            raw_cells = (model.get('Metadata') or {}).get('Paper Cells') or []
            if raw_cells and not model.get('Config'):
                raise MetafileError(f'{rel}: model {name} has paper cells '
                                    'but no Config')
            for raw in raw_cells:
                cell = _parse_cell(raw, f'{rel}: model {name}',
                                   osp.join(root, model['Config']), name)
                key = (cell.table, cell.row, cell.column, cell.metric)
                if key in seen:
                    raise MetafileError(
                        f'{rel}: Table {key[0]} {cell.label} ({cell.metric}) '
                        f'is claimed by both {seen[key].model} and {name}')
                seen[key] = cell
                cells.append(cell)
    return cells


def _join(items: Sequence[object]) -> str:
    return ', '.join(str(i) for i in items)


def check_table(table: int, cells: Sequence[PaperCell]) -> List[PaperCell]:
    """The cells of ``table``, or a ``ValueError`` that lists the tables the
    paper has and those the metafiles cover."""
    covered = sorted({c.table for c in cells})
    if table not in PAPER_TABLES:
        raise ValueError(f'the paper has no Table {table}; valid tables: '
                         f'{_join(PAPER_TABLES)} (with configs in the '
                         f'metafiles: {_join(covered) or "none"})')
    chosen = [c for c in cells if c.table == table]
    if not chosen:
        raise ValueError(f'no config of the metafiles reproduces Table '
                         f'{table}; tables with configs: '
                         f'{_join(covered) or "none"}')
    return chosen


def ordered_unique(items: Sequence) -> list:
    """The items without repeats, in the order they first appear."""
    return list(dict.fromkeys(items))


def table_layout(
    cells: Sequence[PaperCell]
) -> Tuple[List[str], List[Tuple[str, Optional[str]]]]:
    """Row labels and column groups of a table, in metafile order.

    A group is ``(Column, None)`` when every row holds one metric under that
    column (Table 5 names the metric in its rows), else one
    ``(Column, Metric)`` per metric (Table 3 has accuracy and time under
    "Baseline"). When a table has several metrics, groups follow the order
    of the metrics' first appearance, as the paper prints Table 3 (accuracy
    block, then time block), even when one config lists both metrics.
    """
    metrics = ordered_unique([c.metric for c in cells])
    places: Dict[Tuple[str, str], set] = {}
    for cell in cells:
        places.setdefault((cell.row, cell.column), set()).add(cell.metric)
    split = {col for (_, col), found in places.items() if len(found) > 1}
    groups = ordered_unique([
        (c.column, c.metric if c.column in split else None) for c in cells
    ])
    first_metric = {c.column: c.metric for c in reversed(cells)}
    return (ordered_unique([c.row for c in cells]),
            sorted(groups,
                   key=lambda g: metrics.index(g[1] or first_metric[g[0]])))


def find_cell(cells: Sequence[PaperCell], row: str, column: str,
              metric: Optional[str]) -> Optional[PaperCell]:
    """The cell at (row, column) with that metric (any metric when
    ``None``), or ``None``."""
    for cell in cells:
        if (cell.row, cell.column) == (row, column) and metric in (
                None, cell.metric):
            return cell
    return None
