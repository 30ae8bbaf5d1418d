"""A paper table from finished runs: the paper's number, ours at the last
and the best epoch (mean and sample std over seeds), and the difference."""
import csv
import statistics
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .metafile import (METRIC_KEYS, METRIC_SCALES, TIMING_METRIC, PaperCell,
                       find_cell, table_layout)
from .runs import (FINISHED_MARKER, LogError, RunLog, find_runs,
                   last_and_best, minutes_per_epoch, read_run, read_schedule,
                   run_state)

DIFFERENCE = 'ours (mean of last-epoch values) minus paper'
STD = 'sample standard deviation over seeds (n - 1); none for one seed'
MISSING = 'missing'


@dataclass
class CellResult:
    """A paper cell and the values our runs give for it, one per seed."""

    cell: PaperCell
    runs: List[str] = field(default_factory=list)
    last: List[float] = field(default_factory=list)
    best: List[float] = field(default_factory=list)
    hardware: List[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.last)

    @property
    def difference(self) -> Optional[float]:
        return statistics.mean(self.last) - self.cell.value \
            if self.last else None

    def as_dict(self) -> dict:
        c = self.cell
        return dict(row=c.row, column=c.column, metric=c.metric,
                    config=c.config_name, paper=c.value,
                    paper_printed=c.printed,
                    status='ok' if self.found else MISSING,
                    seeds=len(self.last), runs=self.runs,
                    last=_summary(self.last), best=_summary(self.best),
                    difference=self.difference)


def _summary(values: List[float]) -> Optional[dict]:
    if not values:
        return None
    std = statistics.stdev(values) if len(values) > 1 else None
    return dict(mean=statistics.mean(values), std=std, values=values)


class Collector:
    """Reads the runs of each config once and remembers what went wrong."""

    def __init__(self, work_root: str) -> None:
        self.work_root = work_root
        self.warnings: List[str] = []
        self._logs: Dict[str, List[RunLog]] = {}

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def logs(self, cell: PaperCell) -> List[RunLog]:
        """The finished, readable runs of the cell's config."""
        if cell.config in self._logs:
            return self._logs[cell.config]
        try:
            schedule = read_schedule(cell.config)
        except Exception as exc:
            # Whatever breaks reading it (a missing base, a package not
            # installed), marker files still say which runs finished.
            self.warn(f'{cell.config}: cannot read the schedule ({exc}); '
                      f'its runs count only with a {FINISHED_MARKER!r} file')
            schedule = None
        logs = []
        for work_dir in find_runs(self.work_root, cell.config_name):
            if run_state(work_dir, schedule)[0] != 'finished':
                final = f'{schedule.final_checkpoint} or ' if schedule else ''
                self.warn(f'{work_dir}: unfinished (no {final}'
                          f'{FINISHED_MARKER!r} file); treated as missing')
                continue
            try:
                log = read_run(work_dir)
            except LogError as exc:
                self.warn(f'{exc}; treated as missing')
                continue
            for note in log.notes:
                self.warn(f'{note}; a later process resumed, line ignored')
            logs.append(log)
        self._logs[cell.config] = logs
        return logs

    def result(self, cell: PaperCell) -> CellResult:
        result = CellResult(cell)
        for log in self.logs(cell):
            if cell.metric == TIMING_METRIC:
                minutes = minutes_per_epoch(log)
                pair = None if minutes is None else (minutes, None)
                what = 'no training times or iterations per epoch'
            else:
                pair = last_and_best(log, METRIC_KEYS[cell.metric])
                what = f'no {METRIC_KEYS[cell.metric]!r} in the logs'
            if pair is None:
                self.warn(f'{log.work_dir}: {what}; treated as missing')
                continue
            scale = METRIC_SCALES.get(cell.metric, 1.0)
            result.runs.append(log.work_dir)
            result.last.append(pair[0] * scale)
            if pair[1] is not None:
                result.best.append(pair[1] * scale)
            result.hardware.append(log.hardware or 'unknown hardware')
        return result


def _fmt(values: List[float], digits: int, with_n: bool = True) -> str:
    if not values:
        return MISSING
    text = f'{statistics.mean(values):.{digits}f}'
    if len(values) > 1:
        text += f' ± {statistics.stdev(values):.{digits}f}'
    return text + (f' (n={len(values)})' if with_n else '')


def relative_costs(results: Sequence[CellResult],
                   collector: Collector) -> List[dict]:
    """Minutes per epoch over the same row's baseline column (the column
    named ``Baseline...``, else the row's first timing column)."""
    timing = [r for r in results if r.cell.metric == TIMING_METRIC]
    costs = []
    for row in dict.fromkeys(r.cell.row for r in timing):
        own = [r for r in timing if r.cell.row == row]
        base = next((r for r in own
                     if r.cell.column.lower().startswith('baseline')), own[0])
        for other in own:
            if other is base:
                continue
            ours = None
            hardware = sorted(set(base.hardware + other.hardware))
            if base.found and other.found:
                ours = (statistics.mean(other.last) /
                        statistics.mean(base.last))
                if len(hardware) > 1:
                    collector.warn(f'Table {base.cell.table} {row}: '
                                   f'{other.cell.column} and '
                                   f'{base.cell.column} were timed on '
                                   f'different hardware: '
                                   f'{"; ".join(hardware)}')
            costs.append(dict(row=row, column=other.cell.column,
                              baseline=base.cell.column,
                              paper=other.cell.value / base.cell.value,
                              ours=ours, hardware=hardware))
    return costs


def render(table: int, cells: Sequence[PaperCell],
           results: Sequence[CellResult], costs: Sequence[dict],
           digits: int) -> str:
    """The table as markdown: the paper's rows, and for each of its
    (column, metric) the paper's number, ours last, ours best and the
    difference."""
    rows, columns = table_layout(cells)
    by_cell = {r.cell: r for r in results}
    header = ['Row']
    for column, metric in columns:
        name = f'{column} ({metric})' if metric else column
        header += [f'{name}: paper', f'{name}: ours last',
                   f'{name}: ours best', f'{name}: Δ']
    lines = [f'### Table {table}', '',
             f'Ours: mean ± {STD}; n = seeds. Δ = {DIFFERENCE}.', '',
             '| ' + ' | '.join(header) + ' |',
             '| --- |' + ' ---: |' * (len(header) - 1)]
    for row in rows:
        parts = [row]
        for column, metric in columns:
            cell = find_cell(cells, row, column, metric)
            if cell is None:  # the paper leaves this place empty
                parts += [''] * 4
                continue
            res = by_cell[cell]
            diff = res.difference
            best = ('n/a' if cell.metric == TIMING_METRIC and res.found else
                    _fmt(res.best, digits, with_n=False))
            parts += [cell.printed, _fmt(res.last, digits), best,
                      MISSING if diff is None else f'{diff:+.{digits}f}']
        lines.append('| ' + ' | '.join(parts) + ' |')
    if costs:
        lines += ['', f'{TIMING_METRIC} relative to the baseline of the '
                  'same row (ours: mean minutes over seeds, each side on '
                  'its own hardware, listed):', '',
                  '| Row | Column / Baseline | paper | ours | hardware |',
                  '| --- | --- | ---: | ---: | --- |']
        for cost in costs:
            ours = MISSING if cost['ours'] is None else f'{cost["ours"]:.3f}'
            lines.append(f'| {cost["row"]} | {cost["column"]} / '
                         f'{cost["baseline"]} | {cost["paper"]:.3f} | '
                         f'{ours} | {"; ".join(cost["hardware"])} |')
    return '\n'.join(lines)


def write_csv(path: str, tables: Sequence[dict]) -> None:
    """One line per cell, numbers unrounded, empty when missing."""
    fields = ['table', 'row', 'column', 'metric', 'config', 'paper',
              'last_mean', 'last_std', 'best_mean', 'best_std', 'seeds',
              'difference', 'status']
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for table in tables:
            for cell in table['cells']:
                last, best = cell['last'] or {}, cell['best'] or {}
                writer.writerow(dict(
                    table=table['table'], row=cell['row'],
                    column=cell['column'], metric=cell['metric'],
                    config=cell['config'], paper=cell['paper_printed'],
                    last_mean=last.get('mean', ''),
                    last_std=_blank(last.get('std')),
                    best_mean=best.get('mean', ''),
                    best_std=_blank(best.get('std')), seeds=cell['seeds'],
                    difference=_blank(cell['difference']),
                    status=cell['status']))


def _blank(value: Optional[float]) -> object:
    return '' if value is None else value
