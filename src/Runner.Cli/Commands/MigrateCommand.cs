using Runner.Cluster.Hosting;

namespace Runner.Cli.Commands;

/// <summary>`runner migrate --from DIR --to postgresql://…`: a state folder's history into a PostgreSQL store.</summary>
public sealed class MigrateCommand : ICommand
{
    public string Name => "migrate";
    public string Summary => "move a state folder's sweeps, results and journal into an empty PostgreSQL store";
    public string Description => """
        Copies everything a coordinator keeps in a state folder (the sweeps' journal and snapshots, sharding's state,
        the results store) into an empty PostgreSQL database, so that `runner coordinator --store URL` carries on
        every sweep, finished or not, and the results commands read its history. No coordinator may run on DIR
        meanwhile (the folder is locked); DIR is left as it was. The password comes from RUNNER_STORE_PASSWORD,
        RUNNER_STORE_PASSWORD_FILE or PGPASSWORD.
        """;
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("from", "DIR", "the state folder to copy [.runner]"),
        new("to", "URL", "postgresql://USER@HOST[:PORT]/DB, an empty database"),
    };

    public int Execute(Arguments args, CliContext context)
    {
        args.NoPositional();
        string from = StateFolder.Resolve(args.Get("from"), context.WorkingDirectory);
        string to = args.Get("to") ?? throw new UsageException("--to postgresql://USER@HOST[:PORT]/DB is required");
        Runner.Results.StoreLocation target;
        try { target = Runner.Results.StoreLocation.Parse(to, from); }
        catch (Runner.Results.StoreLocationException e) { throw new UsageException(e.Message); }
        if (!target.IsPostgres) throw new UsageException("--to must be postgresql://USER@HOST[:PORT]/DB");
        try
        {
            var done = StoreMigration.Run(from, target, line => context.Error.WriteLine(line));
            context.Out.WriteLine($"migrated {from} to {target}: {done.Sweeps} sweep(s), {done.Trials} trial(s), {done.Events} journal event(s), {done.Snapshots} snapshot(s), {done.Artifacts} artifact(s)");
            return 0;
        }
        catch (Exception e) when (e is StoreMigrationException or StateFolderBusyException or Npgsql.NpgsqlException)
        {
            throw new CommandFailedException(e.Message);
        }
    }
}
