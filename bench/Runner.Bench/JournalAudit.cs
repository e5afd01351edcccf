using Npgsql;

namespace Runner.Bench;

/// <summary>
/// Reads the sweeps' journal in a PostgreSQL store as Akka.Persistence.Sql wrote it (one row per event, with the
/// writing actor's incarnation in writer_uuid), to check after a takeover or a partition that each sweep had one
/// writer at a time, and to time when the next trial was handed out.
/// </summary>
public sealed class JournalAudit
{
    public sealed record Event(string PersistenceId, long SequenceNr, string Manifest, DateTime Written, string Writer);

    /// <summary>The manifest of TrialStarted (a trial handed to a worker), see RunnerSerializer.</summary>
    public const string TrialStarted = "sw.start";

    public IReadOnlyList<Event> Events { get; }

    public JournalAudit(string storeUrl)
    {
        var store = Runner.Results.StoreLocation.Parse(storeUrl, Path.GetTempPath());
        using var db = new NpgsqlConnection(store.PostgresConnection);
        db.Open();
        using var query = new NpgsqlCommand(
            "SELECT persistence_id, sequence_number, coalesce(manifest, ''), created, coalesce(writer_uuid, '') FROM journal ORDER BY ordering", db);
        using var rows = query.ExecuteReader();
        var events = new List<Event>();
        // created is in .NET ticks (UTC).
        while (rows.Read()) events.Add(new Event(rows.GetString(0), rows.GetInt64(1), rows.GetString(2), new DateTime(rows.GetInt64(3), DateTimeKind.Utc), rows.GetString(4)));
        Events = events;
    }

    /// <summary>
    /// What breaks "one writer per journal": a gap or a repeat in a sweep's sequence numbers, or a writer that writes
    /// again after another one took over (two actors of one sweep alive at once, on two coordinators).
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var sweep in Events.Where(e => e.PersistenceId.StartsWith("sweep-", StringComparison.Ordinal)).GroupBy(e => e.PersistenceId))
        {
            var bySequence = sweep.OrderBy(e => e.SequenceNr).ToList();
            for (int i = 0; i < bySequence.Count; i++)
                if (bySequence[i].SequenceNr != i + 1)
                {
                    problems.Add($"{sweep.Key}: event {i + 1} has sequence number {bySequence[i].SequenceNr}");
                    break;
                }
            var retired = new HashSet<string>();
            string? current = null;
            foreach (var e in bySequence)
            {
                if (e.Writer == current) continue;
                if (retired.Contains(e.Writer)) problems.Add($"{sweep.Key}: writer {e.Writer} wrote event {e.SequenceNr} after another writer had taken over");
                if (current != null) retired.Add(current);
                current = e.Writer;
            }
        }
        return problems;
    }

    /// <summary>When the first trial was handed out after <paramref name="time"/>, or null.</summary>
    public DateTime? FirstTrialStartedAfter(DateTime time) =>
        Events.Where(e => e.Manifest == TrialStarted && e.Written > time).Select(e => (DateTime?)e.Written).Min();

    /// <summary>How many incarnations wrote each sweep's journal (1 + the takeovers it went through).</summary>
    public IReadOnlyDictionary<string, int> Writers() => Events.Where(e => e.PersistenceId.StartsWith("sweep-", StringComparison.Ordinal))
        .GroupBy(e => e.PersistenceId).ToDictionary(g => g.Key, g => g.Select(e => e.Writer).Distinct().Count());
}
