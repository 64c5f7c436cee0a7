// The service's API takes and hands out `Logger`s: importing Service brings the Logging module with it.
@_exported import Logging
