using Runner.Results;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Hosting;

/// <summary>Turns a sweep request into the command that starts it: its id, and the results of its trials this store already has.</summary>
public static class SweepSubmission
{
    /// <param name="startNew">allow a new definition under a name already used (--new)</param>
    /// <param name="rerun">run every trial again, even those with recorded results (--rerun)</param>
    public static Submit Prepare(ResultsStore store, SweepRequest request, bool startNew, bool rerun)
    {
        string id = request.IdAmong(store.Sweeps().Select(s => (s.Name, s.SweepId)), startNew, rerun, DateTime.UtcNow,
            store.ToString());
        var reused = rerun ? Array.Empty<TrialResult>() : store.CompletedResults(request.Trials.Select(t => t.Id)).ToArray();
        return new Submit(id, request.Name, request.Trials, request.MaxFailures, reused, request.EarlyStop, request.Device, request.Search, rerun);
    }
}
