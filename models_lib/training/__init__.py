"""Trainer loop, callbacks, device selection, seeding and safetensors weights."""

from models_lib.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from models_lib.training.device import DeviceUnavailable, describe_device, seed_everything, select_device
from models_lib.training.run import count_macs, fit_module, prepare_run, run_module, small_step
from models_lib.training.trainer import (
    Callback,
    RunResult,
    Trainer,
    TrainingDiverged,
    TrainingModule,
    TrainingOutOfMemory,
    amp_dtype,
    autocast,
    grad_scaler,
    optimizer_step,
    round_float,
    to_device,
)
from models_lib.training.weights import load_weights, save_weights

__all__ = [
    "Callback",
    "Checkpoint",
    "DeviceUnavailable",
    "RunResult",
    "Trainer",
    "TrainingDiverged",
    "TrainingModule",
    "TrainingOutOfMemory",
    "amp_dtype",
    "autocast",
    "grad_scaler",
    "count_macs",
    "describe_device",
    "fit_module",
    "load_checkpoint",
    "load_weights",
    "optimizer_step",
    "prepare_run",
    "run_module",
    "round_float",
    "save_checkpoint",
    "save_weights",
    "small_step",
    "seed_everything",
    "select_device",
    "to_device",
]
