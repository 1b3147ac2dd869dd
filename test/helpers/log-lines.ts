/** The app's JSON log lines, as tests read them (createTestApp with captureLogs). Tests only. */
export interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
  code?: string;
  error?: string;
  err?: { stack?: string };
  traceId?: string;
}

export const parseLogLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);
