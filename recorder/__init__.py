"""recorder: ARIA's HDF5 episode format (FORMAT.md) -- write, read, verify, recover, import ARC-AGI-3 JSONL,
export to Minari. Imports nothing from the other ARIA packages."""

from recorder.errors import RecordingError
from recorder.export_minari import ExportResult, export_minari
from recorder.format import FORMAT_NAME, FORMAT_VERSION, PlayThrough, WriterConfig
from recorder.import_arc import ImportResult, import_arc_jsonl
from recorder.reader import Episode, EpisodeSummary, RecordingProblem, iter_episodes, open_episode
from recorder.recover import Recovered, recover, recover_file
from recorder.verify import VerifyReport, replay, verify_structure
from recorder.writer import EpisodeWriter

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Episode",
    "EpisodeSummary",
    "EpisodeWriter",
    "PlayThrough",
    "ExportResult",
    "ImportResult",
    "RecordingError",
    "RecordingProblem",
    "Recovered",
    "VerifyReport",
    "WriterConfig",
    "export_minari",
    "import_arc_jsonl",
    "iter_episodes",
    "open_episode",
    "recover",
    "recover_file",
    "replay",
    "verify_structure",
]
