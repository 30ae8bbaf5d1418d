"""Our numbers next to the paper's, in the paper's table layout.

    python tools/analysis_tools/paper_table.py TABLE [TABLE ...]
        [--work-root work_dirs/reproduce] [--index model-index.yml]
        [--out-csv FILE] [--out-json FILE] [--digits 2]

The paper's numbers come from the metafiles' ``Paper Cells``; ours from the
runs ``tools/reproduce.py`` writes (``<work-root>/<config-name>/seed<s>``).
Per cell and seed, *last* is the metric of the final validation and *best*
the highest of all validations; over seeds, mean ± sample standard deviation
(n - 1; none for one seed). The difference is ours (mean of last) minus the
paper's. Unfinished runs, and runs whose logs are truncated or lack the
metric, are left out (with a line on stderr); a cell without a run left is
``missing``. ``Minutes per Epoch`` (Table 3) is measured from the logged
iteration times (see ``mmcls_kd.reproduction.runs.minutes_per_epoch``) and is
also reported relative to the same row's ``Baseline`` column.
"""
import argparse
import json
import os.path as osp
import sys
from typing import Optional, Sequence

from mmcls_kd.reproduction import check_table, load_cells, table_layout
from mmcls_kd.reproduction.table import (DIFFERENCE, STD, Collector,
                                         relative_costs, render, write_csv)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Compare finished runs with the paper\'s tables')
    parser.add_argument('tables', type=int, nargs='+', help='tables (1-9)')
    parser.add_argument('--work-root', default='work_dirs/reproduce')
    parser.add_argument('--index', default=osp.join(REPO, 'model-index.yml'),
                        help='model index importing the metafiles')
    parser.add_argument('--out-csv', help='also write the cells as CSV')
    parser.add_argument('--out-json', help='also write the tables as JSON')
    parser.add_argument('--digits', type=int, default=2)
    args = parser.parse_args(argv)
    args.parser = parser
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        all_cells = load_cells(args.index)
        chosen = {t: check_table(t, all_cells) for t in args.tables}
    except (ValueError, FileNotFoundError) as exc:
        args.parser.error(str(exc))
    collector = Collector(args.work_root)
    tables = []
    for table, cells in chosen.items():
        results = [collector.result(cell) for cell in cells]
        costs = relative_costs(results, collector)
        print(render(table, cells, results, costs, args.digits) + '\n')
        rows, columns = table_layout(cells)
        tables.append(dict(
            table=table, rows=rows,
            columns=[dict(column=c, metric=m) for c, m in columns],
            cells=[r.as_dict() for r in results], relative_cost=costs))
    for text in collector.warnings:
        print(f'warning: {text}', file=sys.stderr)
    if args.out_csv:
        write_csv(args.out_csv, tables)
    if args.out_json:
        with open(args.out_json, 'w', encoding='utf-8') as f:
            json.dump(dict(difference=DIFFERENCE, std=STD, tables=tables,
                           warnings=collector.warnings), f, indent=2,
                      ensure_ascii=False)
    return 0


if __name__ == '__main__':
    sys.exit(main())
