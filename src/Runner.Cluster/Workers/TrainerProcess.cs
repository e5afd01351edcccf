using System.Diagnostics;
using Runner.Cluster.Protocol;
using Runner.Sweeps;
using static Runner.Cluster.Workers.TrainerChannel;

namespace Runner.Cluster.Workers;

/// <summary>
/// A worker's trials, run in a child process (a <see cref="TrainerHost"/>) so that a crash in native code (SIGFPE,
/// SIGSEGV, SIGILL, an abort in LibTorch) ends that process, not the worker or the coordinator beside it: the trial's
/// attempt fails with the signal's name and counts against its failure budget, and the next trial starts a new
/// process. The process lives from one trial to the next (starting one costs about a second: runtime, LibTorch,
/// data), and each worker has its own, so trials on two workers of one machine share no random generator.
/// <see cref="Execute"/> is the worker's <see cref="TrialExecutor"/>; dispose it with the worker.
/// </summary>
public sealed class TrainerProcess(Func<ProcessStartInfo> start, Action<string>? log = null) : IDisposable
{
    /// <summary>How long a cancelled trial may take to stop before its process is killed.</summary>
    public static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(10);
    const int TailLines = 12;

    readonly object _gate = new();
    Process? _child;
    Task<string?>? _nextLine;
    readonly Queue<string> _stderrTail = new();
    bool _disposed;

    public TrialResult Execute(SweepReplies.Assignment job, Func<EpochMetrics, bool> onEpoch, CancellationToken cancel)
    {
        var child = Running();
        Send(child, Line(Job, Pack(job)));
        DateTime? killAt = null;
        while (true)
        {
            var next = _nextLine ??= child.StandardOutput.ReadLineAsync();
            if (!next.Wait(TimeSpan.FromMilliseconds(200)))
            {
                if (!cancel.IsCancellationRequested) continue;
                if (killAt == null)
                {
                    Send(child, Line(TrainerChannel.Cancel));
                    killAt = DateTime.UtcNow + CancelGrace;
                }
                else if (DateTime.UtcNow > killAt)
                {
                    Stop(child);
                    throw new OperationCanceledException("the trial did not stop when cancelled; its process was killed");
                }
                continue;
            }
            _nextLine = null;
            if (next.Result is not { } line) throw Died(child);
            if (!TryRead(line, out string kind, out string payload))
            {
                log?.Invoke(line);
                continue;
            }
            switch (kind)
            {
                case Epoch: Send(child, Line(onEpoch(Unpack<EpochMetrics>(payload)) ? Continue : TrainerChannel.Stop)); break;
                case TrainerChannel.Log: log?.Invoke(payload); break;
                case Done: return Unpack<TrialResult>(payload);
                case Failed: throw new TrialFailedException(payload);
                case Cancelled: throw new OperationCanceledException();
            }
        }
    }

    /// <summary>The trainer process, started when there is none (first trial, or the last one died).</summary>
    Process Running()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_child is { HasExited: false }) return _child;
            _child?.Dispose();
            _nextLine = null;
            _stderrTail.Clear();
            var info = start();
            (info.RedirectStandardInput, info.RedirectStandardOutput, info.RedirectStandardError, info.UseShellExecute) = (true, true, true, false);
            var child = Process.Start(info) ?? throw new TrialFailedException($"cannot start the trainer process ({info.FileName})");
            child.ErrorDataReceived += (_, e) =>
            {
                if (e.Data == null) return;
                lock (_stderrTail)
                {
                    _stderrTail.Enqueue(e.Data);
                    if (_stderrTail.Count > TailLines) _stderrTail.Dequeue();
                }
                log?.Invoke(e.Data);
            };
            child.BeginErrorReadLine();
            return _child = child;
        }
    }

    static void Send(Process child, string line)
    {
        try
        {
            child.StandardInput.WriteLine(line);
            child.StandardInput.Flush();
        }
        catch (IOException) { /* it died: reading its output says how */ }
    }

    /// <summary>Why the trainer process ended in the middle of a trial: the signal that killed it, or its exit code, and its last words.</summary>
    TrialFailedException Died(Process child)
    {
        child.WaitForExit(5_000);
        string how = !child.HasExited ? "closed its output"
            : child.ExitCode > 128 ? $"died of {SignalName(child.ExitCode - 128)}"
            : $"exited with code {child.ExitCode}";
        string tail;
        lock (_stderrTail) tail = string.Join(" | ", _stderrTail.Where(l => l.Trim().Length > 0));
        Stop(child);
        return new TrialFailedException($"the trainer process {how} during this trial{(tail.Length > 0 ? $"; its last output: {tail}" : "")}");
    }

    /// <summary>A signal's name and what it usually means here (.NET reports a child killed by signal N as exit code 128 + N).</summary>
    public static string SignalName(int signal) => signal switch
    {
        4 => "SIGILL (an instruction this CPU does not have, in native code)",
        6 => "SIGABRT (an abort, in native code)",
        7 => "SIGBUS (a bad memory access, in native code)",
        8 => "SIGFPE (an arithmetic fault such as an integer division by zero, in native code)",
        9 => "SIGKILL (killed: out of memory, or by hand)",
        11 => "SIGSEGV (an invalid memory access, in native code)",
        15 => "SIGTERM",
        _ => $"signal {signal}",
    };

    void Stop(Process child)
    {
        lock (_gate)
        {
            try
            {
                if (!child.HasExited) child.Kill();
                child.WaitForExit(5_000);
            }
            catch (InvalidOperationException) { /* never started or already reaped */ }
            if (ReferenceEquals(_child, child)) (_child, _nextLine) = (null, null);
            child.Dispose();
        }
    }

    /// <summary>
    /// Closes the trainer's input, so it cancels its trial and ends (a worker stopping, or leaving the cluster); a
    /// process still there after <see cref="TrainerHost.ExitGrace"/> and a little more is killed.
    /// </summary>
    public void Dispose()
    {
        Process? child;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            child = _child;
        }
        if (child == null) return;
        try { child.StandardInput.Close(); }
        catch (IOException) { }
        _ = Task.Run(() =>
        {
            if (!child.WaitForExit(TrainerHost.ExitGrace + TimeSpan.FromSeconds(2))) Stop(child);
        });
    }
}

/// <summary>A trial failed where the worker could not catch the exception itself: its message is the whole reason.</summary>
public sealed class TrialFailedException(string reason) : Exception(reason);
