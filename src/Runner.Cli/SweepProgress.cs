using System.Globalization;
using Akka.Actor;
using Runner.Cluster.Hosting;
using static Runner.Cluster.Protocol.SweepCommands;

namespace Runner.Cli;

/// <summary>Polls a sweep's status and prints a line whenever it changes, until it is finished or the user interrupts.</summary>
public static class SweepProgress
{
    public static SweepStatus WaitUntilFinished(RunnerNode node, string sweepId, CliContext context)
    {
        string last = "";
        var started = DateTime.UtcNow;
        while (true)
        {
            context.Cancel.ThrowIfCancellationRequested();
            var status = node.Sweeps.Ask<SweepStatus>(new GetStatus(sweepId), TimeSpan.FromSeconds(30), context.Cancel).GetAwaiter().GetResult();
            string line = Describe(status, DateTime.UtcNow - started);
            string key = line[..line.IndexOf(" · ", StringComparison.Ordinal)];
            if (key != last)
            {
                context.Out.WriteLine(line);
                last = key;
            }
            if (status.Pending + status.Running == 0) return status;
            context.Cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500));
        }
    }

    public static string Describe(SweepStatus s, TimeSpan elapsed)
    {
        int done = s.Completed + s.Failed + s.Cancelled;
        return string.Create(CultureInfo.InvariantCulture,
            $"[{done}/{s.Total}] completed {s.Completed}, running {s.Running}, pending {s.Pending}, failed {s.Failed}{(s.Cancelled > 0 ? $", cancelled {s.Cancelled}" : "")} · {elapsed.TotalSeconds:F0}s");
    }
}
