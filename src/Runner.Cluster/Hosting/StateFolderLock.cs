using System.Text.Json;

namespace Runner.Cluster.Hosting;

/// <summary>A state folder another process writes to: the message names that process.</summary>
public sealed class StateFolderBusyException(string message) : Exception(message);

/// <summary>
/// One writer per state folder: a coordinator (`runner coordinator`, `runner run`) holds an exclusive lock on
/// <c>STATE/owner.lock</c> for as long as it runs. The lock is the kernel's (flock, through .NET's FileShare.None),
/// so it ends with the process, kill -9 included: there is never a stale lock to clean. <c>owner.json</c> next to it
/// says who holds it, for the message a second process gets.
/// </summary>
public sealed class StateFolderLock : IDisposable
{
    public const string LockName = "owner.lock", OwnerName = "owner.json";
    readonly FileStream _lock;

    StateFolderLock(FileStream held) => _lock = held;

    public sealed record Owner(int Pid, string Host, string Command, DateTime Since);

    public static StateFolderLock Take(string stateFolder)
    {
        Directory.CreateDirectory(stateFolder);
        string ownerFile = Path.Combine(stateFolder, OwnerName);
        FileStream held;
        try { held = new FileStream(Path.Combine(stateFolder, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException)
        {
            string who = "another process";
            try
            {
                if (JsonSerializer.Deserialize<Owner>(File.ReadAllText(ownerFile)) is { } o)
                    who = $"`{o.Command}` (pid {o.Pid} on {o.Host}, since {o.Since:yyyy-MM-dd HH:mm:ss} UTC)";
            }
            catch (Exception e) when (e is IOException or JsonException) { /* being written: name no one */ }
            throw new StateFolderBusyException($"the state folder {stateFolder} is in use by {who}: one coordinator writes a state folder at a time (use `runner submit` to add a sweep to the running one)");
        }
        string[] args = Environment.GetCommandLineArgs();
        var owner = new Owner(Environment.ProcessId, Environment.MachineName,
            "runner " + string.Join(' ', args.Skip(1).Take(1)), DateTime.UtcNow);
        File.WriteAllText(ownerFile, JsonSerializer.Serialize(owner));
        return new StateFolderLock(held);
    }

    public void Dispose() => _lock.Dispose();
}
