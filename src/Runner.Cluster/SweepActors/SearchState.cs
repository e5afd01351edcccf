using Runner.Cluster.Protocol;
using Runner.Sweeps;
using Runner.Sweeps.Search;

namespace Runner.Cluster.SweepActors;

/// <summary>
/// A search's side of a sweep (<c>method: tpe</c>, or <c>tune</c>): which configurations each study has proposed, in
/// journal order, and the decision of what to propose next. Like <see cref="SweepState"/>, built only from events; it
/// reads the trials' states through <paramref name="find"/>.
/// <para>
/// Rules: the next proposal goes to the study with the fewest so far (the first among equals) that has budget left
/// and fewer than <see cref="SearchPlan.Parallelism"/> configurations in flight; a study whose budget is spent and
/// whose configurations all ended proposes its winner on its seeds_after first. The sampler learns from each
/// study's own configurations: a configuration's score is the mean objective of its trials on validation once all
/// have ended; running ones count as unfinished (the constant liar); one with no result at all is left out.
/// Proposals are deterministic given the plan and the results in journal order.
/// </para>
/// </summary>
public sealed class SearchState(SearchPlan plan, Func<string, TrialState?> find)
{
    sealed record Proposal(int Study, int Number, string[] TrialIds, bool Final);

    readonly List<Proposal> _proposals = new();
    readonly int[] _made = new int[plan.Studies.Length];
    readonly bool[] _finalMade = new bool[plan.Studies.Length];

    public SearchPlan Plan => plan;

    public void Apply(SweepEvents.Proposed p) => Add(p.Study, p.Number, p.Trials.Select(t => t.Id).ToArray(), p.Final);

    void Add(int study, int number, string[] trialIds, bool final)
    {
        _proposals.Add(new Proposal(study, number, trialIds, final));
        if (final) _finalMade[study] = true;
        else _made[study] = Math.Max(_made[study], number + 1);
    }

    public SweepSnapshot.Proposal[] ToSnapshot() => _proposals.Select(p => new SweepSnapshot.Proposal(p.Study, p.Number, p.TrialIds, p.Final)).ToArray();

    public void Restore(IEnumerable<SweepSnapshot.Proposal> proposals)
    {
        foreach (var p in proposals) Add(p.Study, p.Number, p.TrialIds, p.Final);
    }

    /// <summary>Every study proposed its budget and, where it has seeds_after, its winner.</summary>
    public bool IsDone => Enumerable.Range(0, plan.Studies.Length).All(s => _made[s] >= plan.Budget && (!HasFinal(s) || _finalMade[s]));

    /// <summary>Trials still to be proposed (at most: every configuration left on every seed, and the winners' seeds).</summary>
    public int Unproposed => Enumerable.Range(0, plan.Studies.Length).Sum(s =>
        (plan.Budget - _made[s]) * plan.ConfigurationTrials(s) + (_finalMade[s] ? 0 : plan.WinnerTrials(s)));

    bool HasFinal(int study) => plan.Studies[study].SeedsAfter.Length > 0;

    /// <summary>Whether <see cref="Next"/> would propose something now (without running the sampler).</summary>
    public bool CanPropose => Enumerable.Range(0, plan.Studies.Length).Any(s => FinalDue(s) || MayPropose(s));

    bool FinalDue(int study) => HasFinal(study) && !_finalMade[study] && _made[study] >= plan.Budget && InFlight(study) == 0;

    bool MayPropose(int study) => _made[study] < plan.Budget && InFlight(study) < plan.Parallelism;

    IEnumerable<Proposal> SearchProposals(int study) => _proposals.Where(p => p.Study == study && !p.Final);

    int InFlight(int study) => SearchProposals(study).Count(p => p.TrialIds.Any(id => find(id) is not { IsFinal: true }));

    /// <summary>The next proposal, as the event that records it; null when none is due.</summary>
    public SweepEvents.Proposed? Next(string sweepId)
    {
        for (int s = 0; s < plan.Studies.Length; s++)
            if (FinalDue(s))
            {
                var winner = History(s).Where(h => h.Observation.Score != null).OrderByDescending(h => h.Observation.Score!.Value)
                    .ThenBy(h => h.Number).FirstOrDefault();
                var finals = winner == null ? Array.Empty<TrialSpec>()
                    : plan.TrialsOf(s, winner.Observation.Values, plan.Studies[s].SeedsAfter, tunedBy: plan.Describe()).ToArray();
                return new SweepEvents.Proposed(sweepId, s, 0, finals, Final: true);
            }
        var next = Enumerable.Range(0, plan.Studies.Length).Where(MayPropose).OrderBy(s => _made[s]).ThenBy(s => s).Cast<int?>().FirstOrDefault();
        if (next is not { } study) return null;
        var values = plan.Propose(study, _made[study], History(study).Select(h => h.Observation).ToList());
        return new SweepEvents.Proposed(sweepId, study, _made[study], plan.TrialsOf(study, values, plan.Studies[study].Seeds).ToArray());
    }

    sealed record Seen(int Number, Observation Observation);

    /// <summary>What study <paramref name="study"/>'s configurations taught, in proposal order.</summary>
    IEnumerable<Seen> History(int study)
    {
        var names = plan.Space.Select(a => a.Name).ToList();
        foreach (var p in SearchProposals(study))
        {
            var trials = p.TrialIds.Select(find).Where(t => t != null).Select(t => t!).ToList();
            if (trials.Count == 0) continue;
            var parameters = trials[0].Spec.Parameters();
            var values = names.ToDictionary(n => n, n => parameters[n]);
            if (trials.Any(t => !t.IsFinal))
            {
                yield return new Seen(p.Number, new Observation(values, null));
                continue;
            }
            var scores = trials.Where(t => t.Result != null).Select(t => t.Spec.Objective.Score(t.Result!)).Where(double.IsFinite).ToList();
            if (scores.Count > 0) yield return new Seen(p.Number, new Observation(values, scores.Average()));
        }
    }
}
