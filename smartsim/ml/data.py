"""Online training: producers upload batches, a trainer downloads them (``smartsim.ml.data``)."""

from smartsim.ml._downloader import DataDownloader
from smartsim.ml._info import DataInfo, form_name
from smartsim.ml._uploader import TrainingDataUploader

__all__ = ["DataDownloader", "DataInfo", "TrainingDataUploader", "form_name"]
