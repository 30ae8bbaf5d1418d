"""Recorders for feature distillation: several records as one list.

Pre-activation features are recorded with MMRazor's ``ModuleInputs`` on the
activation: the distillation algorithms turn every in-place activation off
(``mmcls_kd.compat.patch_mmrazor_inplace_false``), so a ReLU's input is not
overwritten after it was recorded."""
import copy
from typing import Any, List, Optional, Sequence

from mmrazor.models.task_modules.recorder.base_recorder import BaseRecorder
from torch import nn

from mmcls_kd.registry import TASK_UTILS


@TASK_UTILS.register_module()
class GroupRecorder(BaseRecorder):
    """Records several sources and hands them on as one list.

    MMRazor's ``ConfigurableDistiller`` passes one record to each argument
    of a loss, and a connector sees only that record. ReviewKD's fusion
    connector needs all stages at once: this recorder wraps MMRazor's own
    recorders (``ModuleOutputs``, ``ModuleInputs``, ...) and this
    package's, one per entry, and its record is the list of their records,
    in the order given. Each entry may pick a call and an element with
    ``record_idx`` and ``data_idx`` as a loss mapping would, e.g. the input
    of a block's final ReLU, which a basic block calls twice
    (``record_idx=1``)::

        feats=dict(type='Group', recorders=[
            dict(type='ModuleOutputs', source='backbone.layer1'),
            dict(type='ModuleInputs', source='backbone.layer2.1.relu',
                 record_idx=1, data_idx=0),
            dict(type='ModuleOutputs', source='neck', data_idx=0)])

    Args:
        recorders (Sequence[dict]): recorder configs, with MMRazor's short
            types (``'ModuleOutputs'`` builds ``ModuleOutputsRecorder``).
    """

    def __init__(self, recorders: Sequence[dict]) -> None:
        if not recorders:
            raise ValueError('GroupRecorder: recorders must not be empty')
        members = []
        for cfg in recorders:
            cfg = copy.deepcopy(dict(cfg))
            record_idx = cfg.pop('record_idx', 0)
            data_idx = cfg.pop('data_idx', None)
            cfg['type'] = cfg['type'] + 'Recorder'
            members.append((TASK_UTILS.build(cfg), record_idx, data_idx))
        super().__init__(', '.join(str(m.source) for m, _, _ in members))
        self.members = members

    def prepare_from_model(self, model: Optional[nn.Module] = None) -> None:
        for recorder, _, _ in self.members:
            recorder.initialize(model)

    def __enter__(self):
        super().__enter__()
        for recorder, _, _ in self.members:
            recorder.__enter__()

    def __exit__(self, exc_type, exc_value, traceback):
        for recorder, _, _ in self.members:
            recorder.__exit__(exc_type, exc_value, traceback)
        super().__exit__(exc_type, exc_value, traceback)

    def get_record_data(self,
                        record_idx: int = 0,
                        data_idx: Optional[int] = None) -> Any:
        """The list of the members' records, or its ``data_idx``-th item.
        ``record_idx`` must be 0: the group records once per forward."""
        if record_idx != 0:
            raise ValueError(f'GroupRecorder: record_idx must be 0, got '
                             f'{record_idx}; give record_idx per member')
        records: List[Any] = []
        for recorder, member_record, member_data in self.members:
            try:
                records.append(
                    recorder.get_record_data(member_record, member_data))
            except (AssertionError, TypeError) as err:
                raise ValueError(f'GroupRecorder: member {recorder.source!r}'
                                 f': {err}') from err
        return records if data_idx is None else records[data_idx]
