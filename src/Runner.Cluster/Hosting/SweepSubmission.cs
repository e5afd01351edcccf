using System.Security.Cryptography;
using System.Text;
using Runner.Cluster.Results;
using Runner.Results;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;

namespace Runner.Cluster.Hosting;

/// <summary>A sweep name already used in this state folder by a different definition.</summary>
public sealed class SweepConflictException(string message) : Exception(message);

/// <summary>
/// Turns an expanded sweep into the command that starts it: its id (the name plus a hash of the normalised definition,
/// so the same file resumes the same sweep), and the results of its trials this state folder already has.
/// </summary>
public static class SweepSubmission
{
    public static string IdOf(string name, IReadOnlyList<TrialSpec> trials, int maxFailures, EarlyStopSpec? earlyStop = null)
    {
        string canonical = string.Join("\n", trials.Select(t => t.Id)) + $"\nmax_failures={maxFailures}"
            + (earlyStop == null ? "" : $"\nearly_stop={earlyStop.Type},{earlyStop.GraceEpochs},{earlyStop.ReductionFactor},{earlyStop.MaxEpochs}");
        return $"{name}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..8]}";
    }

    /// <param name="startNew">allow a new definition under a name already used (--new)</param>
    /// <param name="rerun">run every trial again, even those with recorded results (--rerun)</param>
    public static Submit Prepare(ResultsStore store, string name, IReadOnlyList<TrialSpec> trials, int maxFailures, bool startNew, bool rerun,
        EarlyStopSpec? earlyStop = null)
    {
        string id = IdOf(name, trials, maxFailures, earlyStop);
        var sameName = store.Sweeps().Where(s => s.Name == name).ToList();
        if (!startNew && !rerun && sameName.Count > 0 && sameName.All(s => s.SweepId != id))
            throw new SweepConflictException(
                $"sweep '{name}' already exists in {Path.GetDirectoryName(store.Path)} with a different definition (id {sameName[^1].SweepId}); " +
                "pass --new to start a new sweep under that name, or rename it");
        if (rerun) id += "-rerun-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        var reused = rerun ? Array.Empty<TrialResult>() : store.CompletedResults(trials.Select(t => t.Id)).ToArray();
        return new Submit(id, name, trials.ToArray(), maxFailures, reused, earlyStop);
    }
}
