namespace Runner.Sweeps;

/// <summary>The device names a sweep file or command line may use: auto, cpu, cuda, cuda:N.</summary>
public static class DeviceNames
{
    public static bool IsValid(string device) =>
        device is "auto" or "cpu" or "cuda"
        || (device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device.AsSpan(5), out int n) && n >= 0);
}
