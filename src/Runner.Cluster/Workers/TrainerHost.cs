using System.Collections.Concurrent;
using Runner.Cluster.Protocol;
using static Runner.Cluster.Workers.TrainerChannel;

namespace Runner.Cluster.Workers;

/// <summary>
/// The trainer process's side of <see cref="TrainerChannel"/>: runs the jobs its worker sends, one at a time, with
/// the executor it was given, and answers each. When its input closes (the worker stopped, or died) it cancels the
/// running trial and ends; a trial that does not stop within <see cref="ExitGrace"/> is abandoned with the process.
/// </summary>
/// <param name="abandon">what ends the process then (tests pass their own)</param>
public sealed class TrainerHost(TextReader input, TextWriter output, Action? abandon = null)
{
    public static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(5);

    readonly object _writeGate = new();
    readonly BlockingCollection<SweepReplies.Assignment> _jobs = new();
    /// <summary>The answers to epochs, in order (the trial waits for each).</summary>
    readonly BlockingCollection<bool> _answers = new();
    readonly object _cancelGate = new();
    CancellationTokenSource? _running;
    bool _closed;

    /// <summary>Writes a log line for the worker's log (thread-safe: training code logs from any thread).</summary>
    public void Log(string message) => Write(TrainerChannel.Log, OneLine(message));

    /// <summary>Serves jobs until the input closes; returns the process's exit code.</summary>
    public int Serve(TrialExecutor execute)
    {
        new Thread(ReadInput) { IsBackground = true, Name = "trainer-input" }.Start();
        foreach (var job in _jobs.GetConsumingEnumerable())
        {
            CancellationToken token;
            lock (_cancelGate)
            {
                if (_closed) break;
                // An answer the last trial no longer waited for (it was cancelled meanwhile) came before this job.
                while (_answers.TryTake(out _)) { }
                _running = new CancellationTokenSource();
                token = _running.Token;
            }
            try
            {
                var result = execute(job, epoch =>
                {
                    Write(Epoch, Pack(epoch));
                    return _answers.TryTake(out bool go, Timeout.Infinite, token) && go;
                }, token);
                Write(Done, Pack(result));
            }
            catch (OperationCanceledException) { Write(Cancelled); }
            catch (Exception e) { Write(Failed, OneLine($"{e.GetType().Name}: {e.Message}")); }
            finally
            {
                lock (_cancelGate)
                {
                    _running.Dispose();
                    _running = null;
                }
            }
        }
        return 0;
    }

    void ReadInput()
    {
        try
        {
            while (input.ReadLine() is { } line)
            {
                if (!TryRead(line, out string kind, out string payload)) continue;
                switch (kind)
                {
                    case Job: _jobs.Add(Unpack<SweepReplies.Assignment>(payload)); break;
                    case Continue: _answers.Add(true); break;
                    case Stop: _answers.Add(false); break;
                    case TrainerChannel.Cancel: CancelRunning(); break;
                }
            }
        }
        catch (IOException) { /* the worker is gone: the same as a closed input */ }
        lock (_cancelGate) _closed = true;
        _jobs.CompleteAdding();
        CancelRunning();
        // A trial deep in a native call may not see the cancellation soon; the worker that would wait for it is gone.
        Thread.Sleep(ExitGrace);
        (abandon ?? (() => Environment.Exit(0)))();
    }

    void CancelRunning()
    {
        lock (_cancelGate) _running?.Cancel();
    }

    void Write(string kind, string? payload = null)
    {
        lock (_writeGate)
        {
            output.WriteLine(Line(kind, payload));
            output.Flush();
        }
    }
}
