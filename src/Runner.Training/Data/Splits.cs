using static TorchSharp.torch;

namespace Runner.Training.Data;

/// <summary>
/// How a split holds its rows, decided in one place: whole on the device when its float inputs fit in
/// <see cref="ResidentBytes"/> (fast for small data and cached features), else streamed from its rows batch by batch
/// (any size, bounded memory). Both give the same numbers.
/// </summary>
public static class Splits
{
    /// <summary>The default bound (256 MiB); $RUNNER_RESIDENT_MIB overrides it (0 streams every split).</summary>
    public const long DefaultResidentBytes = 256L << 20;

    public static long ResidentBytes { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("RUNNER_RESIDENT_MIB"), out long mib) && mib >= 0 ? mib << 20 : DefaultResidentBytes;

    /// <summary>The rows at <paramref name="indices"/> with their labels (positions in <paramref name="classes"/>).</summary>
    public static ISplit Of(RowSet rows, int[] indices, int[] classes, Device device) =>
        Of(rows, indices, TaskLabels(rows.Labels, indices, classes), device);

    /// <summary>The rows at <paramref name="indices"/> with the given labels.</summary>
    public static ISplit Of(RowSet rows, int[] indices, long[] labels, Device device) =>
        rows.InputBytesPerRow * indices.Length <= ResidentBytes
            ? TensorSplit.From(rows, indices, labels, device)
            : new StreamingSplit(rows, indices, labels, device);

    /// <summary>Each row's class as its position in the task's class list (the head's output index).</summary>
    public static long[] TaskLabels(int[] labels, int[] indices, int[] classes)
    {
        var position = new Dictionary<int, long>();
        for (int i = 0; i < classes.Length; i++) position[classes[i]] = i;
        return indices.Select(i => position[labels[i]]).ToArray();
    }
}
