using Runner.Cluster.Protocol;

namespace Runner.Cluster.Workers;

/// <summary>
/// The lines a worker and its trainer process exchange over the child's standard input and output, one message a
/// line, each behind <see cref="Prefix"/> (a line without it is a native library's output, passed on to the log).
/// <list type="bullet">
/// <item>worker → trainer: <c>job B64</c> (an <see cref="SweepReplies.Assignment"/>), <c>continue</c> or <c>stop</c>
/// (the answer to each epoch: whether to train on), <c>cancel</c> (stop between batches).</item>
/// <item>trainer → worker: <c>epoch B64</c> (then it waits for the answer), <c>done B64</c> (the
/// <see cref="Runner.Sweeps.TrialResult"/>), <c>failed TEXT</c>, <c>cancelled</c>, <c>log TEXT</c>.</item>
/// </list>
/// B64 is the record in Runner's MessagePack contracts, base64-encoded; TEXT is one line.
/// </summary>
public static class TrainerChannel
{
    public const string Prefix = "@runner ";

    public const string Job = "job", Continue = "continue", Stop = "stop", Cancel = "cancel";
    public const string Epoch = "epoch", Done = "done", Failed = "failed", Cancelled = "cancelled", Log = "log";

    public static string Line(string kind, string? payload = null) => payload == null ? Prefix + kind : $"{Prefix}{kind} {payload}";

    public static string Pack<T>(T value) => Convert.ToBase64String(RunnerSerializer.Pack(value));

    public static T Unpack<T>(string payload) => RunnerSerializer.Unpack<T>(Convert.FromBase64String(payload));

    /// <summary>A message's kind and payload ("" when it has none); false for a line that is not a message.</summary>
    public static bool TryRead(string line, out string kind, out string payload)
    {
        (kind, payload) = ("", "");
        if (!line.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        string rest = line[Prefix.Length..];
        int space = rest.IndexOf(' ');
        (kind, payload) = space < 0 ? (rest, "") : (rest[..space], rest[(space + 1)..]);
        return true;
    }

    /// <summary>Text made one line (a multi-line exception message or log entry).</summary>
    public static string OneLine(string text) => string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
}
