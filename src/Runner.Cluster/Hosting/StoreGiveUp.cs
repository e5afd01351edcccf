namespace Runner.Cluster.Hosting;

/// <summary>
/// When to stop waiting for a store that stays unusable: its journal has refused writes (or reads) and no trial has
/// finished for <paramref name="giveUpAfter"/>. A store that fails now and then while trials keep finishing is only
/// slow; `runner run` gives up on one that stopped working, says why, and keeps every trial it recorded.
/// </summary>
public sealed class StoreGiveUp(StoreTroubles troubles, TimeSpan giveUpAfter, Func<DateTime>? clock = null)
{
    readonly Func<DateTime> _now = clock ?? (() => DateTime.UtcNow);
    DateTime? _lastMove;
    int _done = -1;

    /// <summary>How many trials of the sweep have ended so far (a change counts as the sweep moving).</summary>
    public void Saw(int done)
    {
        if (done == _done && _lastMove != null) return;
        (_done, _lastMove) = (done, _now());
    }

    /// <summary>How long the store has not worked and its latest reason, once that is past the give-up time; else null.</summary>
    public (TimeSpan Broken, string Reason)? Verdict()
    {
        _lastMove ??= _now();
        if (troubles.Since(_lastMove.Value) is not var (first, latest)) return null;
        var broken = _now() - first.At;
        return broken < giveUpAfter ? null : (broken, latest.Reason);
    }
}
