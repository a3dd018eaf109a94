"""Online training: stream training batches from simulations to a training process.

``TrainingDataUploader`` (the producers' side), ``DataDownloader`` (the trainer's side) and
``DataInfo``; ``smartsim.ml.torch`` and ``smartsim.ml.tf`` wrap the downloader for PyTorch
and Keras.
"""

from smartsim.ml.data import DataDownloader, DataInfo, TrainingDataUploader, form_name

__all__ = ["DataDownloader", "DataInfo", "TrainingDataUploader", "form_name"]
