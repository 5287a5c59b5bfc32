// Streamlit's own texts in French (pages/browser.py, `french`): the words of its chrome (placeholders, hints,
// buttons of its widgets, its connection messages), replaced when a whole text or attribute is one of them.
// Never applied to what the pages write: only exact matches of Streamlit's English strings.
const WORDS = {
  'Skip to main content': 'Aller au contenu',
  'Choose an option': 'Choisissez…',
  'Choose options': 'Choisissez…',
  'No options to select': 'Aucun choix possible',
  'No options to select.': 'Aucun choix possible.',
  'No results': 'Aucun résultat',
  'Press Enter to apply': 'Entrée pour valider',
  'Press Enter to submit form': 'Entrée pour envoyer',
  'Show password': 'Afficher le mot de passe',
  'Hide password': 'Masquer le mot de passe',
  'Open': 'Afficher les choix',
  'Close': 'Fermer',
  'Clear all': 'Tout effacer',
  'Clear value': 'Effacer',
  'Sidebar': 'Menu',
  'Collapse sidebar': 'Replier le menu',
  'Expand sidebar': 'Déplier le menu',
  'Link to heading': 'Lien vers ce titre',
  'Decrement': 'Diminuer',
  'Increment': 'Augmenter',
  'Copy to clipboard': 'Copier',
  'Copied': 'Copié',
  'Show/hide columns': 'Colonnes',
  'Download as CSV': 'Télécharger en CSV',
  'Search': 'Rechercher',
  'Fullscreen': 'Plein écran',
  'Close fullscreen': 'Quitter le plein écran',
  'Running...': 'En cours…',
  'Stop': 'Arrêter',
  'Please wait...': 'Patientez…',
  'Connecting': 'Connexion…',
  'Connection error': 'Connexion perdue',
  'Is Streamlit still running? If you accidentally stopped Streamlit, just restart it in your terminal:':
    "Le serveur caisse ne répond plus. Vérifiez qu'il est lancé (caisse serve), puis rechargez la page.",
  'Streamlit server is not responding. Are you connected to the internet?':
    'Le serveur caisse ne répond pas : vérifiez le réseau du magasin.',
  'This app has encountered an error. The original error message is redacted to prevent data leaks. Full error details have been recorded in the logs (if you\'re on Streamlit Cloud, click on \'Manage app\' in the lower right of your app).':
    "Une erreur inattendue a interrompu cette action. Ce qui était déjà enregistré est conservé ; le détail est dans le journal du serveur caisse.",
};
const PATTERNS = [[/^Help for (.+)$/, 'Aide : $1']];
const ATTRIBUTES = ['placeholder', 'title', 'aria-label'];
const EYES = new Set(['Show password', 'Hide password', 'Afficher le mot de passe', 'Masquer le mot de passe']);

function translated(text) {
  const key = text.trim();
  if (Object.prototype.hasOwnProperty.call(WORDS, key)) { return text.replace(key, WORDS[key]); }
  for (const [pattern, replacement] of PATTERNS) { if (pattern.test(key)) { return key.replace(pattern, replacement); } }
  return null;
}

function translate(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement && node.parentElement.closest('.tableau, .lignes, .comptoir, code, pre')) { continue; }
    const french = node.nodeValue && node.nodeValue.trim() && translated(node.nodeValue);
    if (french !== null && french !== undefined && french !== false) { node.nodeValue = french; }
  }
  const elements = root.querySelectorAll ? root.querySelectorAll(ATTRIBUTES.map((a) => `[${a}]`).join(',')) : [];
  for (const element of [root, ...elements]) {
    if (!element.getAttribute) { continue; }
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      const french = value && translated(value);
      if (french) { element.setAttribute(name, french); }
    }
    // The eye of a password field is for the finger, not for Tab: the keyboard goes from field to field.
    if (element.tagName === 'BUTTON' && EYES.has(element.getAttribute('aria-label'))) { element.tabIndex = -1; }
  }
}

export default function () {
  if (window.__caisseFrancais) { return; }
  window.__caisseFrancais = true;
  document.documentElement.lang = 'fr';
  translate(document.body);
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === 'characterData') { translate(change.target.parentNode || document.body); }
      else if (change.type === 'attributes') { translate(change.target); }
      else { change.addedNodes.forEach((n) => translate(n.nodeType === 1 ? n : (n.parentNode || document.body))); }
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ATTRIBUTES });
}
