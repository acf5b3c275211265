// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

(() => {
    const darkThemes = ['ayu', 'navy', 'coal'];
    const lightThemes = ['light', 'rust'];

    const classList = document.getElementsByTagName('html')[0].classList;

    let lastThemeWasLight = true;
    for (const cssClass of classList) {
        if (darkThemes.includes(cssClass)) {
            lastThemeWasLight = false;
            break;
        }
    }

    // mermaid.min.js is 2.6 MB: fetch it only on a page that has a diagram.
    if (!document.querySelector('pre.mermaid')) {
        return;
    }
    const script = document.createElement('script');
    script.src = path_to_root + 'assets/mermaid.min.js';
    // A diagram wider than the column is shrunk to fit, but to no less than
    // this share of its natural size (mermaid's 16 px labels stay 12 px or
    // more); past that it keeps the size and scrolls inside its box
    // (book/assets/cookbook.css), as a wide listing does.
    const SMALLEST_SCALE = 0.75;
    script.onload = async () => {
        mermaid.initialize({
            startOnLoad: false,
            theme: lastThemeWasLight ? 'default' : 'dark',
        });
        try {
            await mermaid.run();
        } catch (error) {
            // mermaid has drawn its error picture in place of the diagram.
            console.error(error);
        }
        for (const pre of document.querySelectorAll('pre.mermaid')) {
            const svg = pre.querySelector('svg');
            const natural = svg && svg.viewBox.baseVal ? svg.viewBox.baseVal.width : 0;
            if (natural) {
                svg.style.minWidth = `${Math.ceil(natural * SMALLEST_SCALE)}px`;
            }
            pre.dataset.sized = 'true';
        }
    };
    document.head.appendChild(script);

    // Simplest way to make mermaid re-render the diagrams in the new theme is via refreshing the page

    for (const darkTheme of darkThemes) {
        document.getElementById('mdbook-theme-' + darkTheme).addEventListener('click', () => {
            if (lastThemeWasLight) {
                window.location.reload();
            }
        });
    }

    for (const lightTheme of lightThemes) {
        document.getElementById('mdbook-theme-' + lightTheme).addEventListener('click', () => {
            if (!lastThemeWasLight) {
                window.location.reload();
            }
        });
    }
})();
