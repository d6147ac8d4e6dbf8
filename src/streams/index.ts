export { makeFifo } from './make-fifo.js';
export { openFifoReader, type FifoReaderOptions } from './fifo-reader.js';
export { openFifoWriter, type FifoWriterOptions } from './fifo-writer.js';
export { pump, type PumpOptions, type PumpResult } from './pump.js';
export { createProgressSink, parseProgress, type ProgressSinkOptions } from './progress-sink.js';
export { LineSplitter, type LineSplitterOptions } from './line-splitter.js';
export { createHostStdioSink, type HostStdio } from './host-stdio-sink.js';
export { openHostFileReader, openHostFileWriter } from './host-file.js';
export { openChunkedHttpSink, type ChunkedHttpSinkOptions } from './chunked-http-sink.js';
