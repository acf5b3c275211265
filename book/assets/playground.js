// The Run button, as the book wants it. mdBook's own script asks the Rust
// Playground for a debug build and gives up on the answer after 6 seconds.
// The listings are sized for optimised builds (the book's workspace builds
// them with opt-level 3 even in its dev profile), and a program with clap or
// tokio can take longer than that to compile and run there. So the request
// for a run asks for a release build, and waits for the playground's own
// time limit instead of mdBook's.
(() => {
    const EVALUATE = 'https://play.rust-lang.org/evaluate.json';
    const fetchAsBefore = window.fetch.bind(window);
    window.fetch = (url, options = {}) => {
        if (String(url) !== EVALUATE || typeof options.body !== 'string') {
            return fetchAsBefore(url, options);
        }
        const params = JSON.parse(options.body);
        params.optimize = '3';
        const { signal, ...rest } = options; // signal: mdBook's 6 s cut-off
        return fetchAsBefore(url, { ...rest, body: JSON.stringify(params) });
    };
})();
