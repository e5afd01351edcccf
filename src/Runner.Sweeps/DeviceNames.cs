namespace Runner.Sweeps;

/// <summary>The device names a sweep file or command line may use: auto, cpu, cuda, cuda:N.</summary>
public static class DeviceNames
{
    public const string Auto = "auto";

    public static bool IsValid(string device) =>
        device is Auto or "cpu" or "cuda"
        || (device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device.AsSpan(5), out int n) && n >= 0);

    /// <summary>
    /// Whether a worker on <paramref name="worker"/> (cpu, cuda:N) may run a sweep that asks for
    /// <paramref name="required"/> (its resources.device): auto takes any worker, cuda any GPU, cuda:N that one.
    /// </summary>
    public static bool Serves(string required, string worker) => required switch
    {
        Auto => true,
        "cuda" => worker == "cuda" || worker.StartsWith("cuda:", StringComparison.Ordinal),
        _ => required == worker,
    };
}
