using System.Security.Cryptography;
using System.Text;

namespace Runner.Sweeps;

/// <summary>A sweep name already used in this state folder (or cluster) by a different definition.</summary>
public sealed class SweepConflictException(string message) : Exception(message);

/// <summary>
/// A sweep as it is submitted, whatever the door (`runner run`, `runner submit`, the HTTP API, the benchmarks): its
/// name, its expanded trials in scheduling order, how many attempts a trial gets, and its early-stopping rule. Its
/// <see cref="Id"/> is the name plus a hash of all of that, so the same file always resumes the same sweep.
/// <paramref name="Device"/> (resources.device) says which workers may run its trials; it changes where, not what, so
/// it is not part of the id. A search (<paramref name="Search"/>: method tpe, or tune) has no trials up front: the
/// coordinator proposes them as results come in.
/// </summary>
public sealed record SweepRequest(string Name, TrialSpec[] Trials, int MaxFailures, EarlyStopSpec? EarlyStop = null, string Device = DeviceNames.Auto,
    Search.SearchPlan? Search = null)
{
    /// <summary>The one way a sweep file becomes a request.</summary>
    public static SweepRequest From(SweepDefinition d) =>
        new(d.Name, SweepExpander.Expand(d).ToArray(), d.Resources.MaxFailures, d.Sweep.EarlyStop, d.Resources.Device, SweepExpander.SearchOf(d));

    /// <summary>Every spec the request carries: its trials, and the settings a search's proposals start from (what uploads and paths apply to).</summary>
    public IEnumerable<TrialSpec> Specs => Search == null ? Trials : Trials.Append(Search.Defaults);

    /// <summary>The same request with <paramref name="change"/> applied to every spec it carries (<see cref="Specs"/>).</summary>
    public SweepRequest WithSpecs(Func<TrialSpec, TrialSpec> change) =>
        this with { Trials = Trials.Select(change).ToArray(), Search = Search == null ? null : Search with { Defaults = change(Search.Defaults) } };

    public string Id
    {
        get
        {
            string canonical = string.Join("\n", Trials.Select(t => t.Id)) + $"\nmax_failures={MaxFailures}"
                + (EarlyStop == null ? "" : $"\nearly_stop={EarlyStop.Type},{EarlyStop.GraceEpochs},{EarlyStop.ReductionFactor},{EarlyStop.MaxEpochs}")
                + (Search == null ? "" : $"\n{Search.Canonical()}");
            return $"{Name}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..8]}";
        }
    }

    /// <summary>
    /// The id this request gets among the sweeps already known (<paramref name="known"/>, named in
    /// <paramref name="where"/>): its own id; a new one with <paramref name="rerun"/> (every trial runs again). A name
    /// already used by another definition is refused unless <paramref name="startNew"/>.
    /// </summary>
    public string IdAmong(IEnumerable<(string Name, string Id)> known, bool startNew, bool rerun, DateTime now, string where)
    {
        string id = Id;
        var sameName = known.Where(s => s.Name == Name).ToList();
        if (!startNew && !rerun && sameName.Count > 0 && sameName.All(s => s.Id != id))
            throw new SweepConflictException(
                $"sweep '{Name}' already exists in {where} with a different definition (id {sameName[^1].Id}); " +
                "pass --new to start a new sweep under that name, or rename it");
        return rerun ? $"{id}-rerun-{now:yyyyMMddHHmmss}" : id;
    }
}
