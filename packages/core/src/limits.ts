/** Validation limits, as MLflow enforces them (facts §4). */
export const MAX_ENTITY_KEY_LENGTH = 250
export const MAX_PARAM_VALUE_LENGTH = 6000
export const MAX_TAG_VALUE_LENGTH = 8000
export const MAX_EXPERIMENT_NAME_LENGTH = 500
export const MAX_EXPERIMENT_TAG_KEY_LENGTH = 250
/** MLflow 3.x (the pinned client) allows 20,000; releases before 3.0 allowed 5,000. */
export const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
export const MAX_ARTIFACT_LOCATION_LENGTH = 2048
export const MAX_METRICS_PER_BATCH = 1000
export const MAX_PARAMS_TAGS_PER_BATCH = 100
export const MAX_ENTITIES_PER_BATCH = 1000
/** Size the SDK keeps each log-batch body under (MLflow's client-side figure). */
export const MAX_BATCH_REQUEST_BYTES = 1024 * 1024
/**
 * Size the server accepts for one log-batch body. A batch at every entity limit (100 params of 6,000 characters,
 * 100 tags of 8,000, 1,000 metrics, 250-character keys) is about 2 MB; MLflow's own size check never triggers.
 */
export const MAX_LOG_BATCH_BODY_BYTES = 4 * 1024 * 1024
export const MAX_DATASET_NAME_LENGTH = 500
export const MAX_DATASET_DIGEST_LENGTH = 36
export const MAX_DATASET_SOURCE_LENGTH = 65535
export const MAX_DATASET_SCHEMA_LENGTH = 1048575
export const MAX_DATASET_PROFILE_LENGTH = 16777215
export const MAX_INPUT_TAG_KEY_LENGTH = 255
export const MAX_INPUT_TAG_VALUE_LENGTH = 500

export const SEARCH_RUNS_DEFAULT_MAX_RESULTS = 1000
export const SEARCH_MAX_RESULTS_THRESHOLD = 50000
export const GET_HISTORY_BULK_MAX_RESULTS = 25000
export const GET_HISTORY_BULK_INTERVAL_MAX_RESULTS = 2500
export const MAX_RUN_IDS_PER_HISTORY_REQUEST = 100

/** SQL stores clamp ±inf to ±Number.MAX_VALUE. */
export const MAX_DOUBLE = 1.7976931348623157e308

/** Id of the experiment every store creates. */
export const DEFAULT_EXPERIMENT_ID = '0'
export const DEFAULT_EXPERIMENT_NAME = 'Default'

/** System tags with meaning to the tracking server. */
export const TAG_RUN_NAME = 'mlflow.runName'
export const TAG_USER = 'mlflow.user'
export const TAG_PARENT_RUN_ID = 'mlflow.parentRunId'
export const TAG_SOURCE_NAME = 'mlflow.source.name'
export const TAG_SOURCE_TYPE = 'mlflow.source.type'
export const TAG_GIT_COMMIT = 'mlflow.source.git.commit'
export const TAG_NOTE = 'mlflow.note.content'
export const TAG_LOG_MODEL_HISTORY = 'mlflow.log-model.history'
export const TAG_DATASET_CONTEXT = 'mlflow.data.context'
