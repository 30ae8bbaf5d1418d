"""Reproducing the paper's tables: the paper's cells from the metafiles,
training runs read from disk, the plan of runs behind a table
(``tools/reproduce.py``) and the table of our numbers beside the paper's
(``tools/analysis_tools/paper_table.py``)."""
from .metafile import (METRIC_KEYS, METRIC_SCALES, METRICS, PAPER_TABLES,
                       TIMING_METRIC, MetafileError, PaperCell, check_table,
                       find_cell, load_cells, ordered_unique, table_layout)
from .runs import (FINISHED_MARKER, LogError, RunLog, Schedule, find_runs,
                   last_and_best, minutes_per_epoch, read_run, read_schedule,
                   run_state, saved_test_metrics, seed_dir)

__all__ = [
    'METRIC_KEYS', 'METRIC_SCALES', 'METRICS', 'PAPER_TABLES',
    'TIMING_METRIC', 'MetafileError', 'PaperCell', 'check_table',
    'find_cell', 'load_cells', 'ordered_unique', 'table_layout',
    'FINISHED_MARKER', 'LogError', 'RunLog', 'Schedule', 'find_runs',
    'last_and_best', 'minutes_per_epoch', 'read_run', 'read_schedule',
    'run_state', 'saved_test_metrics', 'seed_dir'
]
